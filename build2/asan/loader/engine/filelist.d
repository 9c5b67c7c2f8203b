build2/asan/loader/engine/filelist.o: loader/engine/filelist.c \
 loader/engine/filelist.h common/blocksum.h common/log.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h
loader/engine/filelist.h:
common/blocksum.h:
common/log.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
