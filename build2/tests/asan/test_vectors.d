build2/tests/asan/test_vectors: tests/unit/test_vectors.c \
 common/blocksum.h common/wire.h common/blocksum.h common/p2pkp_shared.h
common/blocksum.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
