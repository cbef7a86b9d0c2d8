package io.sparsestep.data.fetch;

import java.util.List;

/**
 * Where a dataset is published and how its files become the layout the loaders read:
 * {@code folder} (under the fetch directory) receives the downloaded files; an archive
 * ({@code extractTo} non-null) is unpacked into {@code <dir>/<extractTo>}, keeping only the
 * {@code members} (plain files inside that folder), and the archive itself is kept in
 * {@code folder} so a later fetch verifies instead of downloading again.
 *
 * @param dataset   the {@code --dataset} name
 * @param mirrors   base URLs, tried in order; each file's URL is the base plus its name
 * @param folder    sub-folder of the fetch directory the files go to ("" for the directory itself)
 * @param extractTo folder of the archive's members, or null when the files are read as they are
 * @param members   for an archive: the file names inside {@code extractTo} the loader needs
 */
public record Remote(String dataset, List<String> mirrors, List<RemoteFile> files, String folder, String extractTo, List<String> members) {
    public Remote {
        mirrors = List.copyOf(mirrors);
        files = List.copyOf(files);
        members = List.copyOf(members);
        if (mirrors.isEmpty()) throw new IllegalArgumentException(dataset + ": no mirror");
        for (String m : mirrors) if (!m.endsWith("/")) throw new IllegalArgumentException(dataset + ": a mirror is a base URL ending in /, got " + m);
        if ((extractTo == null) != members.isEmpty()) throw new IllegalArgumentException(dataset + ": an archive names its members, plain files none");
    }

    /** The same dataset from other mirrors ({@code --mirror}). */
    public Remote withMirrors(List<String> newMirrors) {
        return new Remote(dataset, newMirrors, files, folder, extractTo, members);
    }
}
