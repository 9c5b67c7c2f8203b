build2/obj/loader/store/filestore.o: loader/store/filestore.c \
 loader/engine/filesum.h common/blocksum.h common/log.h \
 loader/store/store_priv.h loader/store/filestore.h common/ranges.h \
 common/wire.h common/blocksum.h common/p2pkp_shared.h common/wire.h
loader/engine/filesum.h:
common/blocksum.h:
common/log.h:
loader/store/store_priv.h:
loader/store/filestore.h:
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
common/wire.h:
