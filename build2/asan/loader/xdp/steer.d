build2/asan/loader/xdp/steer.o: loader/xdp/steer.c common/log.h \
 loader/xdp/steer.h common/p2pkp_shared.h loader/xdp/xdp_prog.h \
 common/options.h build2/p2pkp_steer.skel.h
common/log.h:
loader/xdp/steer.h:
common/p2pkp_shared.h:
loader/xdp/xdp_prog.h:
common/options.h:
build2/p2pkp_steer.skel.h:
