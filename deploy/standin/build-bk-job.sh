# Part of deploy/standin/build, sourced by it for --bk-job VERSION: writes
# DIR/job_<edition>-VERSION.tgz shaped like bk-job's own release package. The caller has
# parsed and checked the arguments and set: out, version, edition, unpacked, quiet, pad,
# knobs, line (3.3, 3.4 or 3.8), line_chain (template directories, first match wins),
# selected (the services to ship), classes, source_hash, started, compiled, BKJOB, FIXED_EPOCH;
# and defined die and copy_if_changed.

RELEASES=$BKJOB/releases
command -v tar >/dev/null || die "tar not found (GNU tar)"
command -v gzip >/dev/null || die "gzip not found"

# The templates a service brings, by bk-job's names ('#' stands for '/' under BK_HOME).
service_templates() {
  local svc=$1 short=${1#job-}
  case $svc in
    job-file-worker) echo "#etc#job#job-file-worker#job-file-worker.yml" ;;
    job-assemble) echo "#etc#job#job-assemble#application-assemble.yml" ;;
    *)
      echo "#etc#job#application-$short.yml"
      if [[ $svc != job-config ]]; then
        # what job-config serves to it from its host
        if [[ $line == 3.3 ]]; then echo "#etc#job#$svc#$svc.properties"; else echo "#etc#job#$svc#$svc.yml"; fi
      fi
      # the lite mode's job-gateway, beside job-assemble
      if [[ $svc == job-gateway && $line == 3.8 ]]; then echo "#etc#job#job-assemble#application-gateway.yml"; fi
      ;;
  esac
}

# The templates of the line as a whole.
line_templates() {
  echo job.env
  [[ $line == 3.3 ]] || echo "#etc#job#job-common#application.yml"
  if [[ $line == 3.8 ]]; then
    echo "#job#deploy.yml"
    echo "#job#deploy_lite.yml"
  fi
}

# The repository file a template comes from: the first of the line's directories that has it.
template_source() {
  local name=$1 dir
  for dir in "${line_chain[@]}"; do
    if [[ -f $RELEASES/$dir/templates/$name ]]; then
      printf '%s\n' "$RELEASES/$dir/templates/$name"
      return 0
    fi
  done
  die "no template '$name' for line $line (looked in ${line_chain[*]/#/$RELEASES/} under templates/)"
}

tarball=$out/job_$edition-$version.tgz
if $unpacked; then
  # Built in place, so unchanged jars are not rewritten; what the line no longer has is pruned below.
  stage_parent=$out
else
  stage_parent=$(mktemp -d "$out/.job-build.XXXXXX") || die "cannot write in $out"
  trap 'rm -rf -- "$stage_parent"' EXIT
fi
stage=$stage_parent/job
mkdir -p -- "$stage" || die "cannot create $stage"

declare -A expected=()
expected[VERSION]=1
if [[ ! -f $stage/VERSION || $(<"$stage/VERSION") != "$version" ]]; then
  printf '%s\n' "$version" >"$stage/VERSION.tmp.$$" && mv -f "$stage/VERSION.tmp.$$" "$stage/VERSION" \
    || die "cannot write $stage/VERSION"
  copied=$((copied + 1))
fi

declare -a names=()
for svc in "${selected[@]}"; do
  copy_if_changed "$BKJOB/bin/job-ops.sh" "$stage/backend/$svc/bin/$svc.sh" 755
  expected[backend/$svc/bin/$svc.sh]=1
  expected[backend/$svc/$svc.jar]=1
  mapfile -t -O "${#names[@]}" names < <(service_templates "$svc")
done
mapfile -t -O "${#names[@]}" names < <(line_templates)
for name in "${names[@]}"; do
  copy_if_changed "$(template_source "$name")" "$stage/support-files/templates/$name" 644
  expected[support-files/templates/$name]=1
done

packer_out=$(java -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Duser.timezone=UTC \
  -Dstandin.fat-mb="$fat_mb" -Dstandin.generation="$generation" -Dstandin.lib-dir="${JOBFLEET_STANDIN_LIBS:-/usr/share/java}" \
  -cp "$classes" jobfleet.standin.build.Packer "$classes" "$stage" "$version" "$pad" "$source_hash" "$knobs" \
  "${selected[@]}") || die "writing the jars into $stage/backend failed (see above)"
written=0 unchanged=0
while read -r what svc bytes; do
  case $what in
    written) written=$((written + 1)) ;;
    unchanged) unchanged=$((unchanged + 1)) ;;
  esac
done <<<"$packer_out"

# Only what this build wrote goes into the tarball: prune leftovers of another version or line.
while IFS= read -r -d '' f; do
  rel=${f#"$stage"/}
  [[ -n ${expected[$rel]+x} ]] || rm -f -- "$f"
done < <(find "$stage" ! -type d -print0)
find "$stage" -mindepth 1 -depth -type d -empty -delete
# Modes do not depend on the umask: directories and scripts 755, everything else 644.
find "$stage" -type d -exec chmod 755 {} +
find "$stage" -type f ! -name '*.sh' -exec chmod 644 {} +

# Reproducible: members sorted by name, one fixed time, owner 0:0 without names, ustar
# headers (no atime or ctime), gzip without a name or a time stamp.
tmp_tgz=$(mktemp "$out/.job_$edition-$version.tgz.XXXXXX") || die "cannot write in $out"
if ! (
  set -o pipefail
  cd -- "$stage_parent" &&
    find job -print0 | LC_ALL=C sort -z |
    LC_ALL=C tar --create --file=- --format=ustar --mtime="@$FIXED_EPOCH" --owner=0 --group=0 \
      --numeric-owner --no-recursion --null --files-from=- |
    gzip -n
) >"$tmp_tgz"; then
  rm -f -- "$tmp_tgz"
  die "writing $tarball failed (see above)"
fi
if [[ -f $tarball ]] && cmp -s -- "$tmp_tgz" "$tarball"; then
  rm -f -- "$tmp_tgz"
  tarball_note="unchanged"
else
  chmod 644 -- "$tmp_tgz" && mv -f -- "$tmp_tgz" "$tarball" || { rm -f -- "$tmp_tgz"; die "cannot write $tarball"; }
  tarball_note="written"
fi

if ! $quiet; then
  sha=$(sha256sum -- "$tarball")
  elapsed=$((($(date +%s%N) - started) / 1000000))
  size="unpadded"
  ((pad > 0)) && size="$pad MiB each"
  extra=""
  [[ -n $knobs ]] && extra=", knobs: ${knobs//$'\n'/ }"
  $compiled && extra+=", compiled"
  where=""
  $unpacked && where=" (unpacked in $stage)"
  printf 'build: bk-job %s (line %s, %s): %s %s%s, %d service(s), %d jar(s) written, %d unchanged (%s%s); sha256 %s; %d.%ds\n' \
    "$version" "$line" "$edition" "$tarball" "$tarball_note" "$where" "${#selected[@]}" "$written" "$unchanged" \
    "$size" "$extra" "${sha%% *}" $((elapsed / 1000)) $((elapsed % 1000 / 100))
fi
