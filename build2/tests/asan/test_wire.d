build2/tests/asan/test_wire: tests/unit/test_wire.c common/wire.h \
 common/blocksum.h common/p2pkp_shared.h
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
