build2/asan/loader/engine/reqs.o: loader/engine/reqs.c loader/clock.h \
 loader/engine/reqs.h common/wire.h common/blocksum.h \
 common/p2pkp_shared.h
loader/clock.h:
loader/engine/reqs.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
