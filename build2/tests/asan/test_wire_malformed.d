build2/tests/asan/test_wire_malformed: tests/unit/test_wire_malformed.c \
 common/wire.h common/blocksum.h common/p2pkp_shared.h
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
