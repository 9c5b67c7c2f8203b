build2/obj/tools/p2pkp-fault/prog.o: tools/p2pkp-fault/prog.c \
 tools/p2pkp-fault/fault.h loader/xdp/xdp_prog.h common/options.h \
 common/log.h build2/p2pkp_fault.skel.h
tools/p2pkp-fault/fault.h:
loader/xdp/xdp_prog.h:
common/options.h:
common/log.h:
build2/p2pkp_fault.skel.h:
