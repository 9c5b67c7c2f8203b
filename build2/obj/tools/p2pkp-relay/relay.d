build2/obj/tools/p2pkp-relay/relay.o: tools/p2pkp-relay/relay.c \
 common/cli.h common/options.h common/log.h tools/p2pkp-relay/relay.h
common/cli.h:
common/options.h:
common/log.h:
tools/p2pkp-relay/relay.h:
