#if canImport(Glibc)
import Glibc
#endif

extension DirectoryHandle {
    /// Removes the entry `name` and, when it is a directory, everything in it; missing is fine.
    ///
    /// Each directory is entered through a handle opened with `O_NOFOLLOW`, and entries are
    /// removed with `unlinkat` on that handle, so a link planted anywhere in the tree is
    /// removed as a link and whatever it points at is never entered or deleted. A directory
    /// swapped for a link between the look and the descent fails the descent instead.
    func removeTree(_ name: String) throws {
        guard let info = status(of: name) else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            let child = try directory(name)
            for entry in child.list() { try child.removeTree(entry) }
            if unlinkat(fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT { throw PosixError("rmdir", path: pathOf(name)) }
        } else {
            try remove(name)
        }
    }
}
