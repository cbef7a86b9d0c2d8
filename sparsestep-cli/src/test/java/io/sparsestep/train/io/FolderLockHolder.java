package io.sparsestep.train.io;

import java.nio.file.Path;

/**
 * A second process for {@link FolderLockTest}: locks the folder given as its argument, says
 * "locked" on stdout, and holds the lock until stdin closes or it is killed.
 */
public final class FolderLockHolder {
    private FolderLockHolder() {}

    public static void main(String[] args) throws Exception {
        try (FolderLock _ = FolderLock.acquire(Path.of(args[0]))) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock
            }
        }
    }
}
