build2/tests/test_filelist: tests/unit/test_filelist.c \
 loader/engine/filelist.h common/blocksum.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h
loader/engine/filelist.h:
common/blocksum.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
