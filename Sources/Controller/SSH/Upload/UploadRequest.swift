/// One local file to place on a host, verified and atomically.
public struct UploadRequest: Sendable, Hashable {
    /// The file to send.
    public var localPath: String
    /// Absolute path of the file on the host; its parent directories are created.
    public var remotePath: String
    /// Exact permission bits of the remote file (not subject to the remote umask).
    public var mode: UInt32
    /// The file's SHA-256 (lowercase hex) when the caller already knows it, as when one file
    /// goes to many hosts; computed once per upload otherwise.
    public var sha256: String?
    /// The group the remote file is given before it is renamed into place; nil keeps the
    /// login user's primary group.
    public var group: String?

    /// A request to upload `localPath` to `remotePath` with `mode` (and `group`).
    public init(localPath: String, remotePath: String, mode: UInt32 = 0o644, sha256: String? = nil, group: String? = nil) {
        self.localPath = localPath
        self.remotePath = remotePath
        self.mode = mode
        self.sha256 = sha256
        self.group = group
    }
}

/// A file that arrived and was checked.
public struct UploadResult: Sendable, Hashable {
    /// Where the file now is.
    public var remotePath: String
    /// Its size in bytes.
    public var bytes: UInt64
    /// Its SHA-256 as computed on the host, equal to the local file's.
    public var sha256: String
}

/// Progress of one file of an upload, reported on the transport's own thread: keep it short.
public struct UploadProgress: Sendable, Hashable {
    /// Index of the file in the request list.
    public var fileIndex: Int
    /// Bytes of that file the host has acknowledged.
    public var bytesDone: UInt64
    /// Size of that file.
    public var bytesTotal: UInt64
}

/// Receives upload progress; called from the transport's thread, never concurrently for one host.
public typealias UploadProgressHandler = @Sendable (UploadProgress) -> Void
