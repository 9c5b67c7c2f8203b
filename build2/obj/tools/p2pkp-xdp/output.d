build2/obj/tools/p2pkp-xdp/output.o: tools/p2pkp-xdp/output.c \
 tools/p2pkp-xdp/output.h
tools/p2pkp-xdp/output.h:
