build2/tests/asan/test_pacer: tests/unit/test_pacer.c loader/clock.h \
 loader/engine/pacer.h
loader/clock.h:
loader/engine/pacer.h:
