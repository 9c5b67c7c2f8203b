build2/obj/tools/p2pkp-xdp/cmd_send.o: tools/p2pkp-xdp/cmd_send.c \
 tools/p2pkp-xdp/commands.h common/cli.h common/options.h \
 common/options.h loader/engine/engine.h loader/net/transport.h \
 loader/net/addr.h common/log.h loader/net/netpath.h \
 tools/p2pkp-xdp/output.h common/wire.h common/blocksum.h \
 common/p2pkp_shared.h
tools/p2pkp-xdp/commands.h:
common/cli.h:
common/options.h:
common/options.h:
loader/engine/engine.h:
loader/net/transport.h:
loader/net/addr.h:
common/log.h:
loader/net/netpath.h:
tools/p2pkp-xdp/output.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
