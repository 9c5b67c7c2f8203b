build2/obj/loader/store/store_dir.o: loader/store/store_dir.c \
 common/log.h loader/store/store_priv.h common/blocksum.h \
 loader/store/filestore.h common/ranges.h common/wire.h common/blocksum.h \
 common/p2pkp_shared.h
common/log.h:
loader/store/store_priv.h:
common/blocksum.h:
loader/store/filestore.h:
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
