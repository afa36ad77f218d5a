import CAgentSupport

/// How the agent looks up accounts and host names.
///
/// The release agent is one static executable, glibc included. A static glibc still reads
/// `/etc/nsswitch.conf`, and for any module it names other than the ones built into libc it
/// `dlopen`s the host's `libnss_<module>.so`, which brings the host's own libc into the
/// process beside ours: on Debian 12 (`passwd: files systemd`) a lookup of an unknown uid
/// crashes that way. So before anything else the agent pins lookups to the built-in modules:
/// users and groups come from `/etc/passwd` and `/etc/group`, host names from `/etc/hosts`
/// and DNS. Accounts that only LDAP or sssd know are not seen; ids then show as numbers.
public enum NameServices {
    /// Pins user, group and host lookups to glibc's built-in `files` and `dns` modules.
    /// Call first thing in `main`, before any thread could look a name up.
    public static func useBuiltInModulesOnly() {
        // Failure leaves nsswitch.conf in charge: no worse than a dynamically linked agent.
        _ = jf_nss_builtin_modules_only()
    }
}
