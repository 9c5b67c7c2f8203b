build2/tests/test_filestore: tests/unit/test_filestore.c \
 common/blocksum.h loader/store/filestore.h common/ranges.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h common/log.h common/wire.h
common/blocksum.h:
loader/store/filestore.h:
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
common/log.h:
common/wire.h:
