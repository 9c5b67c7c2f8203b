build2/obj/common/blocksum.o: common/blocksum.c common/blocksum.h
common/blocksum.h:
