build2/asan/common/blocksum.o: common/blocksum.c common/blocksum.h
common/blocksum.h:
