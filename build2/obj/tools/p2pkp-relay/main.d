build2/obj/tools/p2pkp-relay/main.o: tools/p2pkp-relay/main.c \
 common/cli.h common/options.h common/log.h common/options.h \
 common/p2pkp_shared.h tools/p2pkp-relay/relay.h
common/cli.h:
common/options.h:
common/log.h:
common/options.h:
common/p2pkp_shared.h:
tools/p2pkp-relay/relay.h:
