package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	// Office machines (Windows, slim containers) often have no time zone
	// database; embed one so timezone always loads.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"
)

// Load builds the configuration: Default, then the YAML file at path (if
// path is not empty), then DUTYBOT_* environment variables read through
// lookupEnv (os.LookupEnv in production; nil means no environment). It
// then runs Validate.
//
// Load returns every problem at once: file problems, environment problems
// and validation problems, in that order. The Config is usable only when
// the problems have no errors (see Problems.HasErrors); settings that could
// not be read keep their previous value.
//
// In the file, an empty value (such as "db:" with nothing after it) keeps
// the default. An environment variable that is unset or blank is ignored;
// spaces around a value are removed. Lists are comma-separated in the
// environment. Durations are Go durations such as "5m" or "90s", or a whole
// number of seconds.
func Load(path string, lookupEnv func(string) (string, bool)) (Config, Problems) {
	c := Default()
	var problems Problems
	lines := make(map[string]int) // key → line in the file, while the file's value is in effect
	if path != "" {
		problems = append(problems, loadFile(path, &c, lines)...)
	}
	if lookupEnv != nil {
		problems = append(problems, applyEnv(&c, lookupEnv, lines)...)
	}
	for _, p := range Validate(c) {
		if p.Line == 0 {
			p.Line = lines[p.Key]
		}
		problems = append(problems, p)
	}
	return c, problems
}

// Location returns the time zone named by c.Timezone.
func (c Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return nil, errors.New("configs: timezone is empty")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("configs: timezone %q: %w", c.Timezone, err)
	}
	return loc, nil
}

// leaf is one setting of Config: a field that is not itself a struct.
type leaf struct {
	Key    string // dotted file key, such as "wecom.aes_key"
	Env    string // DUTYBOT_* variable, or ""
	Secret bool   // never show the value
	Index  []int  // for reflect.Value.FieldByIndex
	Type   reflect.Type
}

// leaves lists Config's settings in declaration order.
func leaves() []leaf {
	var out []leaf
	collectLeaves(reflect.TypeFor[Config](), "", nil, &out)
	return out
}

func collectLeaves(t reflect.Type, prefix string, index []int, out *[]leaf) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		key := joinKey(prefix, name)
		idx := append(slices.Clone(index), i)
		if f.Type.Kind() == reflect.Struct {
			collectLeaves(f.Type, key, idx, out)
			continue
		}
		*out = append(*out, leaf{
			Key:    key,
			Env:    f.Tag.Get("env"),
			Secret: f.Tag.Get("secret") == "true",
			Index:  idx,
			Type:   f.Type,
		})
	}
}

// yamlName returns the file key for f, or "" if f is not in the file.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// loadFile overlays the YAML file at path onto c, recording in lines where
// each key is.
func loadFile(path string, c *Config, lines map[string]int) Problems {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Problems{{Severity: Error, Message: fmt.Sprintf(
			"config file %q not found (找不到配置文件); copy configs/dutybot.example.yaml to start one, "+
				"or start without a config file to use the defaults and DUTYBOT_* variables", path)}}
	}
	if err != nil {
		return Problems{{Severity: Error, Message: fmt.Sprintf("cannot read config file: %v (无法读取配置文件)", err)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Problems{syntaxProblem(err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	d := fileDecoder{lines: lines}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return Problems{{Severity: Error, Line: root.Line, Message: fmt.Sprintf(
			"the file must be a set of keys such as \"http:\", \"db:\", \"wecom:\", got %s; see configs/dutybot.example.yaml", describe(root))}}
	}
	d.mapping(root, reflect.ValueOf(c).Elem(), "")
	return d.problems
}

// syntaxProblem turns a YAML parse error such as "yaml: line 7: mapping
// values are not allowed in this context" into a Problem with a Line.
func syntaxProblem(err error) Problem {
	p := Problem{Severity: Error}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, after, found := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); found && err == nil {
			p.Line = n
			msg = after
		}
	}
	p.Message = "the file is not valid YAML: " + msg +
		"; check the indentation (spaces, not tabs) and the quotes (YAML 格式错误，请检查缩进和引号)"
	return p
}

// fileDecoder copies a yaml.Node tree into a Config, collecting problems.
type fileDecoder struct {
	lines    map[string]int
	problems Problems
}

func (d *fileDecoder) errorf(key string, line int, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		Key:      key,
		Line:     line,
		Severity: Error,
		Message:  fmt.Sprintf(format, args...),
	})
}

// mapping decodes the mapping node n into the struct v.
func (d *fileDecoder) mapping(n *yaml.Node, v reflect.Value, prefix string) {
	t := v.Type()
	seen := make(map[string]int) // name → line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(prefix, k.Line, "keys must be plain names such as \"db\", got %s", describe(k))
			continue
		}
		key := joinKey(prefix, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errorf(key, k.Line, "appears more than once (first at line %d); keep only one (配置项重复)", first)
			continue
		}
		seen[k.Value] = k.Line
		f, ok := fieldByName(t, k.Value)
		if !ok {
			d.unknown(key, k, t)
			continue
		}
		d.value(val, v.FieldByIndex(f.Index), key, k.Line, f.Tag.Get("secret") == "true")
	}
}

// value decodes n into v. keyLine is the line of n's key.
func (d *fileDecoder) value(n *yaml.Node, v reflect.Value, key string, keyLine int, secret bool) {
	n = resolve(n)
	if isNull(n) {
		return // keep the default
	}
	switch {
	case v.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.errorf(key, n.Line, "must be a group of keys (%s), each on its own indented line, got %s",
				strings.Join(fieldNames(v.Type()), ", "), describe(n))
			return
		}
		d.lines[key] = keyLine
		d.mapping(n, v, key)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		if n.Kind != yaml.SequenceNode {
			d.errorf(key, n.Line, "must be a list such as [zhangsan, lisi], or one \"- item\" per line, got %s", describe(n))
			return
		}
		items := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			item = resolve(item)
			switch {
			case isNull(item):
				items = append(items, "")
			case item.Kind == yaml.ScalarNode:
				items = append(items, item.Value)
			default:
				d.errorf(key, item.Line, "list entries must be single values such as zhangsan, got %s", describe(item))
				return
			}
		}
		v.Set(reflect.ValueOf(items))
		d.lines[key] = keyLine
	default:
		if n.Kind != yaml.ScalarNode {
			d.errorf(key, n.Line, "must be %s, got %s", want(v.Type()), describe(n))
			return
		}
		if err := setText(v, n.Value); err != nil {
			d.errorf(key, n.Line, "must be %s, got %s", want(v.Type()), shown(n.Value, secret))
			return
		}
		d.lines[key] = keyLine
	}
}

// unknown reports the unknown key k (full name key) found in a mapping
// decoded into t, suggesting a close match when there is one.
func (d *fileDecoder) unknown(key string, k *yaml.Node, t reflect.Type) {
	msg := "unknown key (未知配置项)"
	if s := suggest(key, k.Value, t); s != "" {
		msg += "; did you mean " + s + "?"
	} else {
		msg += "."
	}
	if prefix, _, ok := cutLast(key); ok {
		msg += " Keys allowed under " + prefix + ": "
	} else {
		msg += " Keys allowed at the top level: "
	}
	msg += strings.Join(fieldNames(t), ", ")
	d.errorf(key, k.Line, "%s", msg)
}

// cutLast splits "a.b.c" into "a.b" and "c".
func cutLast(key string) (prefix, name string, ok bool) {
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return "", key, false
	}
	return key[:i], key[i+1:], true
}

// fieldByName returns the field of struct t whose file key is name.
func fieldByName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldNames lists the file keys of struct t.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// resolve follows YAML aliases (*name) to the node they refer to.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the shape of n for messages, without its value.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a group of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

// shown quotes s for a message, unless it is secret.
func shown(s string, secret bool) string {
	if secret {
		return fmt.Sprintf("a value of %d characters (not shown because it is secret)", len([]rune(s)))
	}
	return strconv.Quote(s)
}

// want describes the values accepted for a setting of type t.
func want(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return `a duration such as "5m", "90s" or "1h", or a whole number of seconds such as 300 (时长，如 5m 或秒数)`
	case t.Kind() == reflect.String:
		return "a single value"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case isInt(t.Kind()):
		return "a whole number such as 10 (整数)"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "a list such as [zhangsan, lisi]"
	}
	return "a value of a type dutybot cannot read (" + t.String() + "; this is a bug in dutybot)"
}

func isInt(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// setText parses s according to v's type and stores it in v. Lists are not
// handled here because the file and the environment spell them differently.
func setText(v reflect.Value, s string) error {
	t := v.Type()
	switch {
	case t == reflect.TypeFor[time.Duration]():
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case t.Kind() == reflect.String:
		v.SetString(s)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("configs: bool: %w", err)
		}
		v.SetBool(b)
	case isInt(t.Kind()):
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return fmt.Errorf("configs: integer: %w", err)
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("configs: unsupported setting type %s", t)
	}
	return nil
}

// parseDuration accepts a Go duration ("5m", "1h30m") or a whole number of
// seconds ("300").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("configs: duration %d seconds is out of range", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("configs: duration: %w", err)
	}
	return d, nil
}

// applyEnv overlays DUTYBOT_* variables onto c. A key set from the
// environment is removed from lines, since the file no longer decides it.
func applyEnv(c *Config, lookupEnv func(string) (string, bool), lines map[string]int) Problems {
	var problems Problems
	root := reflect.ValueOf(c).Elem()
	for _, l := range leaves() {
		if l.Env == "" {
			continue
		}
		s, ok := lookupEnv(l.Env)
		s = strings.TrimSpace(s)
		if !ok || s == "" {
			continue
		}
		v := root.FieldByIndex(l.Index)
		if l.Type.Kind() == reflect.Slice && l.Type.Elem().Kind() == reflect.String {
			v.Set(reflect.ValueOf(splitList(s)))
		} else if err := setText(v, s); err != nil {
			problems = append(problems, Problem{
				Key:      l.Key,
				Env:      l.Env,
				Severity: Error,
				Message:  fmt.Sprintf("must be %s, got %s", want(l.Type), shown(s, l.Secret)),
			})
			continue
		}
		delete(lines, l.Key)
	}
	return problems
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// suggest returns a known key close to the unknown key (full name key, last
// part name, found in a mapping decoded into t), or "".
func suggest(key, name string, t reflect.Type) string {
	prefix, _, _ := cutLast(key)
	// A sibling spelled almost the same: corpid, CorpID, corp-id, crop_id.
	best, bestDist := "", 3
	if len(normalize(name)) <= 4 {
		bestDist = 2
	}
	for _, sibling := range fieldNames(t) {
		if dist := editDistance(normalize(name), normalize(sibling)); dist < bestDist {
			best, bestDist = joinKey(prefix, sibling), dist
		}
	}
	if best != "" {
		return best
	}
	// A sibling with a prefix: encoding_aes_key, wecom_corp_id.
	for _, sibling := range fieldNames(t) {
		if n := normalize(sibling); len(n) >= 5 && strings.HasSuffix(normalize(name), n) {
			return joinKey(prefix, sibling)
		}
	}
	// The same setting in another place: corp_id at the top level, or
	// http_addr for http.addr.
	var all []string
	for _, l := range leaves() {
		all = append(all, l.Key)
		for p := l.Key; ; {
			var ok bool
			if p, _, ok = cutLast(p); !ok {
				break
			}
			all = append(all, p)
		}
	}
	for _, k := range all {
		_, last, _ := cutLast(k)
		if normalize(k) == normalize(key) || normalize(last) == normalize(name) || normalize(k) == normalize(name) {
			return k
		}
	}
	return ""
}

// normalize lowercases s and drops separators, so that "corp_id", "CorpID"
// and "corp-id" compare equal.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
