build2/obj/loader/xdp/xdp_prog.o: loader/xdp/xdp_prog.c common/log.h \
 loader/xdp/xdp_prog.h common/options.h
common/log.h:
loader/xdp/xdp_prog.h:
common/options.h:
