package io.sparsestep.data.fetch;

import io.sparsestep.data.DataException;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * {@code data fetch}: every file of a {@link Remote} into the fetch directory, checked against
 * its MD5, then unpacked where the loaders look, then read once by the loader to prove it.
 * A file already there with the right MD5 is not downloaded again; a download goes to
 * {@code <file>.part} and is renamed only once its MD5 is right, so a killed fetch run again
 * resumes the part and never leaves a wrong file under the real name; an archive's members
 * go to a temporary folder and are moved into place one by one.
 */
public final class Fetcher {
    static final int ATTEMPTS = 4;
    /** Written into an unpacked folder with the archive's MD5: the folder is complete and from that archive. */
    static final String UNPACKED_MARK = ".sparsestep-unpacked";

    private Fetcher() {}

    /** Where {@code --data-dir} should point, and the dataset as the loader read it from there. */
    public record Result(Path dataDir, TrainTest probe) {}

    public static Result fetch(Remote remote, Path dir, FetchProgress progress) {
        Path folder = remote.folder().isEmpty() ? dir : dir.resolve(remote.folder());
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new DataException("cannot create " + folder + ": " + Download.describe(e) + " (pass --dir a folder you can write)", e);
        }
        for (RemoteFile f : remote.files()) fetchFile(remote, folder, f, progress);
        if (remote.extractTo() != null) unpack(remote, folder.resolve(remote.files().getFirst().name()), dir.resolve(remote.extractTo()), progress);
        // the proof: the loader reads every image of what was fetched
        TrainTest probe = Datasets.load(remote.dataset(), dir, 1, 0, 0);
        return new Result(dir, probe);
    }

    private static void fetchFile(Remote remote, Path folder, RemoteFile f, FetchProgress progress) {
        Path target = folder.resolve(f.name());
        if (Files.isRegularFile(target)) {
            String md5 = md5(target);
            if (md5.equals(f.md5())) {
                progress.line(f.name() + ": already there, MD5 verified");
                return;
            }
            progress.line(f.name() + ": already there but its MD5 is " + md5 + ", not " + f.md5() + "; downloading it again");
            delete(target);
        }
        Path part = folder.resolve(f.name() + ".part");
        List<String> failures = new ArrayList<>();
        for (String mirror : remote.mirrors()) {
            URI url = URI.create(mirror + f.name());
            try {
                if (Files.isRegularFile(part)) {
                    progress.line(String.format(Locale.ROOT, "%s: resuming %s after %,d bytes", f.name(), url, Files.size(part)));
                } else {
                    progress.line(f.name() + ": downloading " + url);
                }
                Download.into(url, part, f.bytes(), ATTEMPTS, progress);
            } catch (IOException e) {
                failures.add(e.getMessage());
                progress.line("  " + e.getMessage() + (mirror.equals(remote.mirrors().getLast()) ? "" : "; trying the next mirror"));
                continue;
            }
            String md5 = md5(part);
            if (!md5.equals(f.md5())) {
                delete(part);
                failures.add(url + ": MD5 " + md5 + ", not " + f.md5());
                progress.line("  " + url + ": corrupt download (MD5 " + md5 + ", expected " + f.md5() + "), deleted"
                        + (mirror.equals(remote.mirrors().getLast()) ? "" : "; trying the next mirror"));
                continue;
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new DataException("cannot rename " + part + " to " + target + ": " + Download.describe(e), e);
            }
            progress.line(f.name() + ": MD5 verified");
            return;
        }
        throw new DataException(String.format(Locale.ROOT, "%s: could not download %s (%s); offline? download it from %s by hand, "
                        + "check that its MD5 is %s, put it in %s and run the command again", remote.dataset(), f.name(), String.join("; ", failures),
                remote.mirrors().getFirst() + f.name(), f.md5(), folder));
    }

    /** The members of {@code archive} under {@code out}; skipped when {@code out} was unpacked from this very archive. */
    private static void unpack(Remote remote, Path archive, Path out, FetchProgress progress) {
        String md5 = remote.files().getFirst().md5();
        Path mark = out.resolve(UNPACKED_MARK);
        try {
            if (Files.isRegularFile(mark) && Files.readString(mark).strip().equals(md5)
                    && remote.members().stream().allMatch(m -> Files.isRegularFile(out.resolve(m)))) {
                progress.line(remote.extractTo() + ": already unpacked from this archive");
                return;
            }
            Path tmp = out.resolveSibling("." + out.getFileName() + ".unpacking");
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Set<String> found = new LinkedHashSet<>();
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
                 TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(raw, 1 << 16))) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    // only the named members of the expected folder: no path from the archive is trusted
                    String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
                    String prefix = remote.extractTo() + "/";
                    if (!e.isFile() || !name.startsWith(prefix)) continue;
                    String member = name.substring(prefix.length());
                    if (!remote.members().contains(member)) continue;
                    Files.copy(tar, tmp.resolve(member), StandardCopyOption.REPLACE_EXISTING);
                    found.add(member);
                }
            }
            List<String> missing = remote.members().stream().filter(m -> !found.contains(m)).toList();
            if (!missing.isEmpty()) {
                throw new DataException(archive + ": the archive lacks " + String.join(", ", missing) + " under " + remote.extractTo()
                        + "/ (delete it and run the command again)");
            }
            Files.createDirectories(out);
            for (String m : remote.members()) Files.move(tmp.resolve(m), out.resolve(m), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(tmp.resolve(UNPACKED_MARK), md5 + "\n");
            Files.move(tmp.resolve(UNPACKED_MARK), mark, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(tmp);
            progress.line(String.format(Locale.ROOT, "%s: unpacked %d files into %s", archive.getFileName(), remote.members().size(), out));
        } catch (IOException e) {
            throw new DataException(archive + ": cannot unpack into " + out + ": " + Download.describe(e)
                    + " (a corrupt archive: delete it and run the command again; or a full disk)", e);
        }
    }

    static String md5(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("MD5");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) d.update(buf, 0, n);
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + Download.describe(e), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no MD5", e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new DataException("cannot delete " + p + ": " + Download.describe(e), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }
}
