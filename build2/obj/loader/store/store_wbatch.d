build2/obj/loader/store/store_wbatch.o: loader/store/store_wbatch.c \
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
