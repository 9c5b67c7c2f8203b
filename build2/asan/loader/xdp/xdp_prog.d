build2/asan/loader/xdp/xdp_prog.o: loader/xdp/xdp_prog.c common/log.h \
 loader/xdp/xdp_prog.h common/options.h
common/log.h:
loader/xdp/xdp_prog.h:
common/options.h:
