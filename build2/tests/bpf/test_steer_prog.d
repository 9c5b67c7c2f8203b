build2/tests/bpf/test_steer_prog: tests/bpf/test_steer_prog.c \
 common/p2pkp_shared.h build2/p2pkp_steer.skel.h \
 tests/bpf/frame_builder.h
common/p2pkp_shared.h:
build2/p2pkp_steer.skel.h:
tests/bpf/frame_builder.h:
