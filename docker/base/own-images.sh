# Sourced by build-offline.sh: which base images this checkout may delete. Every checkout of
# Fjord on a machine (worktrees, copies) shares one Docker engine and one image repository, and
# tags name a hash of the inputs, so two checkouts with the same shim use the same image. A
# checkout records the tag it uses now in a state directory (one file per checkout, named by a
# hash of its path); after moving to a new tag it deletes its previous one, unless another
# checkout that still exists records that tag as its own. Images nobody recorded (built before
# these records, or by a checkout since deleted) are never deleted here: a leak, not a breakage.
#
# Environment: FJORD_BASE_STATE_DIR (default $XDG_STATE_HOME/fjord/base-images, or
# ~/.local/state/fjord/base-images).

own_images_dir() {
  echo "${FJORD_BASE_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/fjord/base-images}"
}

# record_image TREE TAG: records TAG as the image checkout TREE uses; prints the tag recorded
# for TREE before, if any.
record_image() {
  local dir file previous=""
  dir="$(own_images_dir)"
  file="$dir/$(printf '%s' "$1" | sha256sum | cut -c1-16)"
  [ -f "$file" ] && previous="$(cut -f1 "$file")"
  if [ "$previous" != "$2" ]; then
    mkdir -p "$dir"
    # Written aside and renamed: a concurrent reader sees the old record or the new one.
    printf '%s\t%s\n' "$2" "$1" >"$file.$$"
    mv -f "$file.$$" "$file"
  fi
  printf '%s' "$previous"
}

# used_elsewhere TREE TAG: whether a checkout other than TREE, whose directory still exists,
# records TAG as its image.
used_elsewhere() {
  local file tag tree
  for file in "$(own_images_dir)"/*; do
    [ -f "$file" ] || continue
    IFS=$'\t' read -r tag tree <"$file" || continue
    [ "$tag" = "$2" ] && [ "$tree" != "$1" ] && [ -d "$tree" ] && return 0
  done
  return 1
}
