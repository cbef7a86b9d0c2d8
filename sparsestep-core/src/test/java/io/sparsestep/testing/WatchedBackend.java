package io.sparsestep.testing;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.OpFamily;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * A backend whose every call passes through one test's hands: the calls on {@link Backend}
 * and, since the optimizer steps and other op families live behind accessors
 * ({@code be.steps().grda(...)}), the calls on the families it hands out too. A proxy of
 * Backend alone would see {@code steps()} and miss every step taken through it.
 */
public final class WatchedBackend {
    private WatchedBackend() {
    }

    /** What the test does with each call; {@code method} is declared by Backend or by an op family (StepOps, ...). */
    @FunctionalInterface
    public interface Watcher {
        /** Returns the call's result; {@code call.proceed()} runs it on the real backend. */
        Object handle(Method method, Object[] args, Call call) throws Throwable;
    }

    /** The real call, as the watcher chooses to run it. */
    @FunctionalInterface
    public interface Call {
        Object proceed() throws Throwable;
    }

    /** {@code target}, with every call of it and of its op families passed to {@code watcher}. */
    public static Backend of(Backend target, Watcher watcher) {
        return proxy(Backend.class, target, watcher);
    }

    private static <T> T proxy(Class<T> type, Object target, Watcher watcher) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (proxy, method, args) ->
                watcher.handle(method, args, () -> {
                    Object result;
                    try {
                        result = method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    Class<?> returned = method.getReturnType();
                    return result != null && OpFamily.class.isAssignableFrom(returned) ? proxy(returned, result, watcher) : result;
                })));
    }
}
