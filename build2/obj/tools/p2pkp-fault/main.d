build2/obj/tools/p2pkp-fault/main.o: tools/p2pkp-fault/main.c \
 common/cli.h common/options.h tools/p2pkp-fault/fault.h \
 loader/xdp/xdp_prog.h common/options.h common/log.h \
 common/p2pkp_shared.h
common/cli.h:
common/options.h:
tools/p2pkp-fault/fault.h:
loader/xdp/xdp_prog.h:
common/options.h:
common/log.h:
common/p2pkp_shared.h:
