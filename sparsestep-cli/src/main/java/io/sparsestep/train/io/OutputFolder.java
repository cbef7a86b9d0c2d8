package io.sparsestep.train.io;

import io.sparsestep.store.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The folder a run writes to. It is checked before anything slow happens (a read-only
 * folder found after the first epoch wastes the epoch), and emptied of an earlier run's
 * outputs when training starts, so that a failed run never leaves its files next to the
 * summary and weights of the run before it. Failures are one line: the folder, why, and
 * "choose another --out".
 */
public final class OutputFolder {
    private static final String FIX = "choose another --out";

    private OutputFolder() {}

    /**
     * Checks that {@code dir} can hold outputs: it (or the folders it needs) can be created
     * and a file can be written in it. The probe file is removed again, and so is the folder
     * itself if this check created it; parent folders it had to create (such as {@code runs/})
     * stay, since a run started beside this one may be creating its own folder in them.
     *
     * @throws UncheckedIOException with a one-line message when the folder is unusable
     */
    public static void checkUsable(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        List<Path> missing = new ArrayList<>(); // outermost first
        Path existing = abs;
        // NOFOLLOW: a dangling link is something that exists (and must never be removed below)
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            missing.addFirst(existing);
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw unusable(dir, abs, new FileAlreadyExistsException(existing.toString()));
        }
        try {
            Files.createDirectories(abs);
            Files.delete(Files.createTempFile(abs, ".sparsestep-probe-", ".tmp"));
        } catch (IOException e) {
            throw unusable(dir, abs, e);
        } finally {
            if (!missing.isEmpty()) {
                try {
                    Files.deleteIfExists(abs);
                } catch (IOException ignored) {
                    // something else wrote there meanwhile: it is no longer ours to remove
                }
            }
        }
    }

    /**
     * Creates {@code dir} if needed and deletes the files called {@code names} in it (an
     * earlier run's outputs). Nothing else is touched, and a folder of such a name is left
     * alone (writing over it will fail with its own message).
     */
    public static void clearPrevious(Path dir, Collection<String> names) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw unusable(dir, abs, e);
        }
        for (String name : names) {
            Path file = abs.resolve(name);
            if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) continue;
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + file + " of an earlier run: " + reason(file, e)
                        + "; remove it yourself or " + FIX, e);
            }
        }
    }

    /**
     * Deletes the temp files ({@code .<name>.tmp-*}, see {@link AtomicFiles}) that a process
     * killed in the middle of writing one of {@code names} left in {@code dir}. Only call it
     * while holding the folder's lock: then no other writer can own them.
     */
    public static void clearTornWrites(Path dir, Collection<String> names) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (names.stream().anyMatch(name -> n.startsWith("." + name + ".tmp-")) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the unfinished temp files in " + dir + ": " + reason(dir, e) + "; " + FIX, e);
        }
    }

    private static UncheckedIOException unusable(Path given, Path abs, IOException e) {
        return new UncheckedIOException("output folder " + given + ": " + reason(abs, e) + "; " + FIX, e);
    }

    /**
     * Why an operation on {@code target} failed, in words. The file the exception names is
     * mentioned only when it is neither {@code target} nor directly in it (the probe file
     * is noise; a parent folder that is a file, or not writable, is the news).
     */
    public static String reason(Path target, IOException e) {
        Path file = e instanceof FileSystemException fse && fse.getFile() != null
                ? Path.of(fse.getFile()).toAbsolutePath().normalize() : null;
        Path t = target.toAbsolutePath().normalize();
        boolean elsewhere = file != null && !file.equals(t) && !t.equals(file.getParent());
        if (e instanceof FileAlreadyExistsException) {
            return (elsewhere ? file + " " : "") + "exists and is not a directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied" + (elsewhere ? " on " + file : "");
        }
        String where = elsewhere ? " (" + file + ")" : "";
        if (e instanceof NoSuchFileException) {
            // e.g. mkdir in /proc: the file system refuses, with ENOENT
            return "no such file or directory" + where;
        }
        if (e instanceof FileSystemException fse) {
            // the subclasses without a reason carry only the path in their message
            return (fse.getReason() != null ? lowerFirst(fse.getReason()) : fse.getClass().getSimpleName()) + where;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** OS reasons come capitalised ("Read-only file system"); they follow a colon here. */
    private static String lowerFirst(String s) {
        return s.isEmpty() || (s.length() > 1 && Character.isUpperCase(s.charAt(1))) ? s
                : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
