build2/obj/tools/p2pkp-xdp/main.o: tools/p2pkp-xdp/main.c \
 tools/p2pkp-xdp/commands.h common/cli.h common/options.h \
 common/options.h common/log.h loader/xdp/steer.h common/p2pkp_shared.h \
 loader/xdp/xdp_prog.h
tools/p2pkp-xdp/commands.h:
common/cli.h:
common/options.h:
common/options.h:
common/log.h:
loader/xdp/steer.h:
common/p2pkp_shared.h:
loader/xdp/xdp_prog.h:
