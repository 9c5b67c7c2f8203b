build2/obj/common/ranges.o: common/ranges.c common/ranges.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
