package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// partialPrefix marks a run folder being written. A folder whose name
// starts with it was never completed (a crash, a full disk): it never looks
// like a finished run, and `authbench report` refuses it.
const partialPrefix = ".partial-"

// folder is a run folder being written under its temporary name.
type folder struct {
	root  string // the results folder
	name  string // the final name, e.g. 20261129T150405Z-quick
	tmp   string // where it is written meanwhile
	final string
}

// newFolder creates root/.partial-<name>/ (and its hdr/ folder), choosing a
// name that no earlier run has: a run never overwrites another.
func newFolder(root, scenario string, now time.Time) (*folder, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("results folder %s: %w", root, unwrapPath(err))
	}
	base := now.UTC().Format("20060102T150405Z") + "-" + scenario
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		final := filepath.Join(root, name)
		tmp := filepath.Join(root, partialPrefix+name)
		if exists(final) || exists(tmp) {
			continue
		}
		if err := os.Mkdir(tmp, 0o755); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return nil, fmt.Errorf("results folder %s: %w", root, unwrapPath(err))
		}
		if err := os.Mkdir(filepath.Join(tmp, "hdr"), 0o755); err != nil {
			return nil, fmt.Errorf("results folder %s: %w", root, unwrapPath(err))
		}
		return &folder{root: root, name: name, tmp: tmp, final: final}, nil
	}
}

// commit gives the folder its final name and points root/latest at it.
func (f *folder) commit() error {
	if err := os.Rename(f.tmp, f.final); err != nil {
		return fmt.Errorf("finishing run folder: %w", err)
	}
	link := filepath.Join(f.root, "latest")
	tmpLink := filepath.Join(f.root, ".latest-"+f.name)
	_ = os.Remove(tmpLink)
	if err := os.Symlink(f.name, tmpLink); err != nil {
		return fmt.Errorf("pointing %s at the run: %w", link, err)
	}
	if err := os.Rename(tmpLink, link); err != nil {
		_ = os.Remove(tmpLink)
		return fmt.Errorf("pointing %s at the run: %w", link, err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// unwrapPath keeps the reason of a *PathError: the caller names the path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
