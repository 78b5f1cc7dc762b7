package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// SummaryFile is the name of the summary in a run folder.
const SummaryFile = "summary.json"

// PartialPrefix marks a run folder being written. A folder whose name
// starts with it was never committed (the process was killed, the disk
// filled): it never looks like a finished run, though its summary.json
// holds every run finished before that.
const PartialPrefix = ".partial-"

// Folder is a run folder being written under its temporary name
// (Root/.partial-Name) until Commit gives it its final one (Root/Name).
type Folder struct {
	Root  string // the results folder
	Name  string // the final name, e.g. 20261129T150405Z-quick
	Tmp   string // where it is written meanwhile
	Final string
}

// NewFolder creates root/.partial-<name>/ (and its hdr/ folder), choosing a
// name that no earlier run has: a run never overwrites another.
func NewFolder(root, scenario string, now time.Time) (*Folder, error) {
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
		tmp := filepath.Join(root, PartialPrefix+name)
		if exists(final) || exists(tmp) {
			continue
		}
		if err := os.Mkdir(tmp, 0o755); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return nil, fmt.Errorf("results folder %s: %w", root, unwrapPath(err))
		}
		if err := os.Mkdir(filepath.Join(tmp, HDRDir), 0o755); err != nil {
			return nil, fmt.Errorf("results folder %s: %w", root, unwrapPath(err))
		}
		return &Folder{Root: root, Name: name, Tmp: tmp, Final: final}, nil
	}
}

// Commit gives the folder its final name and points root/latest at it.
func (f *Folder) Commit() error {
	if err := os.Rename(f.Tmp, f.Final); err != nil {
		return fmt.Errorf("finishing run folder: %w", err)
	}
	link := filepath.Join(f.Root, "latest")
	tmpLink := filepath.Join(f.Root, ".latest-"+f.Name)
	_ = os.Remove(tmpLink)
	if err := os.Symlink(f.Name, tmpLink); err != nil {
		return fmt.Errorf("pointing %s at the run: %w", link, err)
	}
	if err := os.Rename(tmpLink, link); err != nil {
		_ = os.Remove(tmpLink)
		return fmt.Errorf("pointing %s at the run: %w", link, err)
	}
	return nil
}

// ReadSummary reads DIR/summary.json.
func ReadSummary(dir string) (*Summary, error) {
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, SummaryFile), err)
	}
	return &s, nil
}

// WriteSummary writes DIR/summary.json atomically: a reader (or a crash)
// sees the previous summary or the new one, never half of one. The runner
// rewrites it after every finished run.
func WriteSummary(dir string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, SummaryFile), append(b, '\n'))
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it
// and renames it over path.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
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
