build2/tests/test_blocksum: tests/unit/test_blocksum.c common/blocksum.h
common/blocksum.h:
