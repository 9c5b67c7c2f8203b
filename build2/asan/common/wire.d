build2/asan/common/wire.o: common/wire.c common/wire.h common/blocksum.h \
 common/p2pkp_shared.h
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
