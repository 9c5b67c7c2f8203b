build2/asan/loader/store/store_partial.o: loader/store/store_partial.c \
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
