package cloudconfig

import "slices"

// Clone returns a deep copy of c that shares nothing with it: changing
// or merging into the copy leaves c as it is. The copy keeps no positions
// ([Config.Position] returns 0, 0): it is a new document.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	d := &Config{
		WriteFiles:   slices.Clone(c.WriteFiles),
		Packages:     slices.Clone(c.Packages),
		FinalMessage: c.FinalMessage,
	}
	d.Bootcmd = cloneCommands(c.Bootcmd)
	d.Runcmd = cloneCommands(c.Runcmd)
	if c.PackageUpdate != nil {
		d.PackageUpdate = Bool(*c.PackageUpdate)
	}
	if c.PackageUpgrade != nil {
		d.PackageUpgrade = Bool(*c.PackageUpgrade)
	}
	if c.Mounts != nil {
		d.Mounts = make([][]string, len(c.Mounts))
		for i, m := range c.Mounts {
			d.Mounts[i] = slices.Clone(m)
		}
	}
	if c.Extra != nil {
		d.Extra = make([]Field, len(c.Extra))
		for i, f := range c.Extra {
			d.Extra[i] = Field{Key: f.Key, Value: copyNode(f.Value)}
		}
	}
	return d
}

func cloneCommands(cmds []Command) []Command {
	if cmds == nil {
		return nil
	}
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		out[i] = Command{Args: slices.Clone(c.Args), Script: c.Script}
	}
	return out
}
