build2/tests/test_filesum: tests/unit/test_filesum.c \
 loader/engine/filesum.h common/blocksum.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h
loader/engine/filesum.h:
common/blocksum.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
