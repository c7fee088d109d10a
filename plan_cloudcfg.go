package udkit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
)

// Module frequencies, as cloud-init's settings.py spells them: a module or
// handler of frequency FreqAlways runs on every boot, FreqInstance once per
// instance (again when the instance ID changes), FreqOnce once ever.
const (
	FreqAlways   = "always"
	FreqInstance = "once-per-instance"
	FreqOnce     = "once"
)

// Stage names, as cloud-init names them in its log and in the events of
// `cloud-init analyze dump`.
const (
	StageLocal   = "init-local"
	StageNetwork = "init-network"
	StageConfig  = "modules-config"
	StageFinal   = "modules-final"
)

// CloudCfg is what [Plan] needs of an image's cloud-init configuration:
// which modules each stage runs, in which order, and how often, and the
// systemd units of the stages.
type CloudCfg struct {
	// Source names where the lists come from: the files read, or the
	// built-in default's name.
	Source string
	// Versions names the cloud-init versions and images the lists hold
	// for; empty when read from an image's files.
	Versions string
	// Units are the systemd units of the four stages, in order:
	// init-local, init-network, modules-config, modules-final.
	Units [4]string
	// Init, Config and Final are cloud_init_modules,
	// cloud_config_modules and cloud_final_modules, in order.
	Init, Config, Final []ModuleEntry
}

// ModuleEntry is one entry of a module list of cloud.cfg.
type ModuleEntry struct {
	// Name is the name as written in cloud.cfg ("write-files"); cloud-init
	// names the module's semaphore and its log events config-NAME.
	Name string
	// ID is the module's canonical name: Name with "-" replaced by "_",
	// without a "cc_" prefix or ".py" suffix ("write_files").
	ID string
	// Frequency is the frequency the entry sets, or the module's own
	// default when it sets none (or an unknown one).
	Frequency string
}

// moduleInfo is what udkit knows of a cloud-init config module: its default
// frequency (the same in cloud-init 22.4 and 25.1, checked by
// TestModuleTableMatchesCloudInit against the installed cloud-init) and the
// top-level keys it reads: its activate_by_schema_keys where it has them
// (cloud-init skips the module when none of them is set), else the keys its
// handle() reads, from its source.
type moduleInfo struct {
	freq     string
	activate bool // keys are activate_by_schema_keys: without one, cloud-init skips the module
	keys     []string
}

// modules is the table of cloud-init's config modules (cloudinit/config/
// cc_*.py in 22.4 and 25.1).
var modules = map[string]moduleInfo{
	"ansible":                        {FreqInstance, true, []string{"ansible"}},
	"apk_configure":                  {FreqInstance, true, []string{"apk_repos"}},
	"apt_configure":                  {FreqInstance, false, []string{"apt", "apt_preserve_sources_list"}},
	"apt_pipelining":                 {FreqInstance, true, []string{"apt_pipelining"}},
	"bootcmd":                        {FreqAlways, true, []string{"bootcmd"}},
	"byobu":                          {FreqInstance, false, []string{"byobu_by_default"}},
	"ca_certs":                       {FreqInstance, true, []string{"ca_certs", "ca-certs"}},
	"chef":                           {FreqAlways, true, []string{"chef"}},
	"disable_ec2_metadata":           {FreqAlways, true, []string{"disable_ec2_metadata"}},
	"disk_setup":                     {FreqInstance, true, []string{"disk_setup", "fs_setup"}},
	"fan":                            {FreqInstance, true, []string{"fan"}},
	"final_message":                  {FreqAlways, false, []string{"final_message"}},
	"growpart":                       {FreqAlways, false, []string{"growpart"}},
	"grub_dpkg":                      {FreqInstance, false, []string{"grub_dpkg", "grub-dpkg"}},
	"install_hotplug":                {FreqInstance, false, nil},
	"keyboard":                       {FreqInstance, true, []string{"keyboard"}},
	"keys_to_console":                {FreqInstance, false, []string{"ssh_fp_console_blacklist", "ssh_key_console_blacklist"}},
	"landscape":                      {FreqInstance, true, []string{"landscape"}},
	"locale":                         {FreqInstance, false, []string{"locale", "locale_configfile"}},
	"lxd":                            {FreqInstance, true, []string{"lxd"}},
	"mcollective":                    {FreqInstance, true, []string{"mcollective"}},
	"migrator":                       {FreqAlways, false, []string{"migrate"}},
	"mounts":                         {FreqInstance, false, []string{"mounts", "mount_default_fields", "swap"}},
	"ntp":                            {FreqInstance, true, []string{"ntp"}},
	"package_update_upgrade_install": {FreqInstance, true, []string{"apt_update", "package_update", "apt_upgrade", "package_upgrade", "packages"}},
	"phone_home":                     {FreqInstance, true, []string{"phone_home"}},
	"power_state_change":             {FreqInstance, true, []string{"power_state"}},
	"puppet":                         {FreqInstance, true, []string{"puppet"}},
	"refresh_rmc_and_interface":      {FreqAlways, false, nil},
	"reset_rmc":                      {FreqInstance, false, nil},
	"resizefs":                       {FreqAlways, false, []string{"resize_rootfs"}},
	"resolv_conf":                    {FreqInstance, true, []string{"manage_resolv_conf"}},
	"rh_subscription":                {FreqInstance, true, []string{"rh_subscription"}},
	"rightscale_userdata":            {FreqInstance, false, nil},
	"rsyslog":                        {FreqInstance, true, []string{"rsyslog"}},
	"runcmd":                         {FreqInstance, true, []string{"runcmd"}},
	"salt_minion":                    {FreqInstance, true, []string{"salt_minion"}},
	"scripts_per_boot":               {FreqAlways, false, nil},
	"scripts_per_instance":           {FreqInstance, false, nil},
	"scripts_per_once":               {FreqOnce, false, nil},
	"scripts_user":                   {FreqInstance, false, nil},
	"scripts_vendor":                 {FreqInstance, false, nil},
	"seed_random":                    {FreqInstance, false, []string{"random_seed"}},
	"set_hostname":                   {FreqInstance, false, []string{"hostname", "fqdn", "prefer_fqdn_over_hostname", "preserve_hostname"}},
	"set_passwords":                  {FreqInstance, false, []string{"chpasswd", "password", "ssh_pwauth"}},
	"snap":                           {FreqInstance, true, []string{"snap"}},
	"spacewalk":                      {FreqInstance, true, []string{"spacewalk"}},
	"ssh":                            {FreqInstance, false, []string{"ssh_keys", "ssh_authorized_keys", "ssh_deletekeys", "ssh_genkeytypes", "ssh_publish_hostkeys", "ssh_quiet_keygen", "allow_public_ssh_keys", "disable_root", "disable_root_opts"}},
	"ssh_authkey_fingerprints":       {FreqInstance, false, []string{"no_ssh_fingerprints", "authkey_hash"}},
	"ssh_import_id":                  {FreqInstance, false, []string{"ssh_import_id"}},
	"timezone":                       {FreqInstance, true, []string{"timezone"}},
	"ubuntu_advantage":               {FreqInstance, true, []string{"ubuntu_advantage", "ubuntu-advantage"}},
	"ubuntu_autoinstall":             {FreqOnce, true, []string{"autoinstall"}},
	"ubuntu_drivers":                 {FreqInstance, true, []string{"drivers"}},
	"ubuntu_pro":                     {FreqInstance, true, []string{"ubuntu_pro"}},
	"update_etc_hosts":               {FreqAlways, true, []string{"manage_etc_hosts"}},
	"update_hostname":                {FreqAlways, false, []string{"hostname", "fqdn", "prefer_fqdn_over_hostname", "preserve_hostname"}},
	"users_groups":                   {FreqInstance, false, []string{"users", "groups", "user"}},
	"wireguard":                      {FreqInstance, true, []string{"wireguard"}},
	"write_files":                    {FreqInstance, true, []string{"write_files"}},
	"write_files_deferred":           {FreqInstance, true, []string{"write_files"}},
	"yum_add_repo":                   {FreqInstance, true, []string{"yum_repos"}},
	"zypper_add_repo":                {FreqAlways, true, []string{"zypper"}},
}

// moduleID is cloud-init's form_module_name without the cc_ prefix.
func moduleID(name string) string {
	id := strings.ReplaceAll(name, "-", "_")
	if strings.HasSuffix(strings.ToLower(id), ".py") {
		id = id[:len(id)-3]
	}
	id = strings.TrimSpace(id)
	return strings.TrimPrefix(id, "cc_")
}

func entry(name string) ModuleEntry {
	id := moduleID(name)
	return ModuleEntry{Name: name, ID: id, Frequency: modules[id].freq}
}

func entries(names ...string) []ModuleEntry {
	out := make([]ModuleEntry, len(names))
	for i, n := range names {
		out[i] = entry(n)
	}
	return out
}

// DebianBookworm is the module configuration of Debian 12 (bookworm)'s
// cloud-init 22.4 package: its /etc/cloud/cloud.cfg, written from that
// package's file (TestDebianBookwormMatchesInstalled compares it with
// the installed copy where there is one). The e2e image boots with it.
func DebianBookworm() *CloudCfg {
	return &CloudCfg{
		Source:   "built-in default: Debian 12 bookworm",
		Versions: "cloud-init 22.4 as packaged in Debian 12 (bookworm); Ubuntu 22.04 and later have the same stage order for the modules plan reads",
		Units:    [4]string{"cloud-init-local.service", "cloud-init.service", "cloud-config.service", "cloud-final.service"},
		Init: entries("migrator", "seed_random", "bootcmd", "write-files", "growpart", "resizefs", "disk_setup", "mounts",
			"set_hostname", "update_hostname", "update_etc_hosts", "ca-certs", "rsyslog", "users-groups", "ssh"),
		Config: entries("snap", "ssh-import-id", "keyboard", "locale", "set-passwords", "grub-dpkg", "apt-pipelining",
			"apt-configure", "ntp", "timezone", "disable-ec2-metadata", "runcmd", "byobu"),
		Final: entries("package-update-upgrade-install", "fan", "landscape", "lxd", "write-files-deferred", "puppet", "chef",
			"mcollective", "salt-minion", "reset_rmc", "refresh_rmc_and_interface", "rightscale_userdata", "scripts-vendor",
			"scripts-per-once", "scripts-per-boot", "scripts-per-instance", "scripts-user", "ssh-authkey-fingerprints",
			"keys-to-console", "install-hotplug", "phone-home", "final-message", "power-state-change"),
	}
}

// Upstream251Debian is cloud-init 25.1's upstream config/cloud.cfg.tmpl
// rendered for the variant "debian" (canonical/cloud-init tag 25.1.4).
// Debian 13 (trixie) ships cloud-init 25.1; where its package changes the
// lists, pass the image's own /etc/cloud/cloud.cfg (udkit plan
// --cloud-cfg) instead. In 25.1 the init-network stage's unit is
// cloud-init-network.service.
func Upstream251Debian() *CloudCfg {
	return &CloudCfg{
		Source:   "built-in default: cloud-init 25.1 upstream cloud.cfg, variant debian",
		Versions: "cloud-init 25.1 upstream template rendered for Debian (the basis of Debian 13 trixie's package)",
		Units:    [4]string{"cloud-init-local.service", "cloud-init-network.service", "cloud-config.service", "cloud-final.service"},
		Init: entries("seed_random", "bootcmd", "write_files", "growpart", "resizefs", "disk_setup", "mounts",
			"set_hostname", "update_hostname", "update_etc_hosts", "ca_certs", "rsyslog", "users_groups", "ssh", "set_passwords"),
		Config: entries("snap", "ssh_import_id", "keyboard", "locale", "grub_dpkg", "apt_pipelining", "apt_configure",
			"ntp", "timezone", "disable_ec2_metadata", "runcmd", "byobu"),
		Final: entries("package_update_upgrade_install", "fan", "landscape", "lxd", "write_files_deferred", "puppet", "chef",
			"ansible", "mcollective", "salt_minion", "reset_rmc", "scripts_vendor", "scripts_per_once", "scripts_per_boot",
			"scripts_per_instance", "scripts_user", "ssh_authkey_fingerprints", "keys_to_console", "install_hotplug",
			"phone_home", "final_message", "power_state_change"),
	}
}

// CloudCfgFile is one configuration file of an image: /etc/cloud/cloud.cfg
// or a file of /etc/cloud/cloud.cfg.d.
type CloudCfgFile struct {
	Name string // for messages and CloudCfg.Source
	Data []byte
}

// moduleListKeys are the three keys ParseCloudCfg reads.
var moduleListKeys = [3]string{"cloud_init_modules", "cloud_config_modules", "cloud_final_modules"}

// ParseCloudCfg reads the module lists from an image's configuration: the
// first file is /etc/cloud/cloud.cfg, the others the *.cfg files of
// /etc/cloud/cloud.cfg.d in the order cloud-init reads them (sorted by
// name). As in cloud-init's read_conf_with_confd and mergemanydict (default
// merge: dict no_replace), a list in a later .d file wins over one in an
// earlier file, and any .d file wins over cloud.cfg; a file's merge_how is
// not interpreted. The files do not name the stages' systemd units: the
// result has cloud-init 22.4's ([DebianBookworm]'s); set Units for another
// version ([ReadCloudCfg] does, from the image's unit files).
func ParseCloudCfg(files ...CloudCfgFile) (*CloudCfg, error) {
	if len(files) == 0 {
		return nil, errors.New("udkit: cloud.cfg: no files")
	}
	var lists [3][]ModuleEntry
	var set [3]bool
	names := make([]string, len(files))
	// Precedence: the last .d file first, then earlier .d files, then
	// cloud.cfg; the first that sets a key wins.
	order := make([]int, 0, len(files))
	for i := len(files) - 1; i >= 1; i-- {
		order = append(order, i)
	}
	order = append(order, 0)
	for i, f := range files {
		names[i] = f.Name
	}
	for _, i := range order {
		f := files[i]
		var doc map[string]any
		if len(bytes.TrimSpace(f.Data)) > 0 {
			if err := yaml.Unmarshal(f.Data, &doc); err != nil {
				return nil, fmt.Errorf("udkit: cloud.cfg: %s: %v", diag.Escape(f.Name), err)
			}
		}
		for k, key := range moduleListKeys {
			v, ok := doc[key]
			if !ok || set[k] {
				continue
			}
			l, err := moduleList(v)
			if err != nil {
				return nil, fmt.Errorf("udkit: cloud.cfg: %s: %s: %v", diag.Escape(f.Name), key, err)
			}
			lists[k], set[k] = l, true
		}
	}
	c := &CloudCfg{
		Source: strings.Join(names, ", "),
		Units:  DebianBookworm().Units,
		Init:   lists[0], Config: lists[1], Final: lists[2],
	}
	return c, nil
}

// moduleList reads a module list as cloud-init's Modules._read_modules
// does: each item a name, a list [name, frequency, args...] or a mapping
// {name, frequency, args}; empty items are skipped.
func moduleList(v any) ([]ModuleEntry, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("is %T, not a list", v)
	}
	var out []ModuleEntry
	for i, it := range items {
		var name, freq string
		switch x := it.(type) {
		case nil:
			continue
		case string:
			name = strings.TrimSpace(x)
		case []any:
			if len(x) == 0 {
				continue
			}
			s, ok := x[0].(string)
			if !ok {
				return nil, fmt.Errorf("item %d: module name is %T, not a string", i, x[0])
			}
			name = strings.TrimSpace(s)
			if len(x) >= 2 {
				freq, _ = x[1].(string)
			}
		case map[string]any:
			s, ok := x["name"].(string)
			if !ok {
				continue
			}
			name = strings.TrimSpace(s)
			freq, _ = x["frequency"].(string)
		default:
			return nil, fmt.Errorf("item %d is %T; cloud-init fails on it", i, it)
		}
		if name == "" {
			continue
		}
		e := entry(name)
		if f := strings.TrimSpace(freq); f == FreqAlways || f == FreqInstance || f == FreqOnce {
			e.Frequency = f
		}
		out = append(out, e)
	}
	return out, nil
}

// ReadCloudCfg reads an image's cloud.cfg at path and, as cloud-init does,
// every *.cfg file of the directory path+".d" (when it exists), sorted by
// name. Pass the image's /etc/cloud/cloud.cfg (from a mounted image or a
// copy) to plan for exactly its module lists.
func ReadCloudCfg(path string) (*CloudCfg, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("udkit: cloud.cfg: %w", err)
	}
	files := []CloudCfgFile{{Name: path, Data: data}}
	dir := path + ".d"
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("udkit: cloud.cfg: %w", err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".cfg") && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		// sort.Strings orders by bytes, which for UTF-8 is Python's
		// code point order.
		p := filepath.Join(dir, n)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("udkit: cloud.cfg: %w", err)
		}
		files = append(files, CloudCfgFile{Name: p, Data: b})
	}
	c, err := ParseCloudCfg(files...)
	if err != nil {
		return nil, err
	}
	// cloud-init 24.3 renamed cloud-init.service to
	// cloud-init-network.service; path is ROOT/etc/cloud/cloud.cfg.
	root := filepath.Dir(filepath.Dir(filepath.Dir(path)))
	for _, d := range []string{"usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/system"} {
		if _, err := os.Stat(filepath.Join(root, d, "cloud-init-network.service")); err == nil {
			c.Units = Upstream251Debian().Units
			break
		}
	}
	return c, nil
}
