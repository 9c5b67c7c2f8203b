build2/obj/tools/p2pkp-relay/classify.o: tools/p2pkp-relay/classify.c \
 common/p2pkp_shared.h tools/p2pkp-relay/relay.h
common/p2pkp_shared.h:
tools/p2pkp-relay/relay.h:
