build2/obj/loader/engine/pacer.o: loader/engine/pacer.c loader/clock.h \
 loader/engine/pacer.h
loader/clock.h:
loader/engine/pacer.h:
