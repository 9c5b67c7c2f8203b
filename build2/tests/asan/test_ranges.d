build2/tests/asan/test_ranges: tests/unit/test_ranges.c common/ranges.h \
 common/wire.h common/blocksum.h common/p2pkp_shared.h
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
