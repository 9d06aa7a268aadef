# Writes gem-oracle.json.gz: for the requirement lists of every gem advisory
# given as arguments, and versions around each bound, whether RubyGems
# itself (Gem::Requirement#satisfied_by?) says the version is in no patched
# and no unaffected requirement, i.e. affected; and all those versions in
# Gem::Version's order, equal ones grouped. Run from the repository
# root:
#
#   ruby internal/feed/rubysec/testdata/oracle.rb \
#     /var/tmp/vulndata/extracted/rubysec/gems/*/*.yml
require 'yaml'
require 'json'
require 'date'
require 'zlib'

def around(v)
  r = Gem::Version.new(v)
  b = r.bump.to_s
  [v, "#{v}.1", "#{v}.0.1", "#{v}.a", "#{v}.beta", "#{v}.RC1",
   b, "#{b}.A", "#{b}.a", "#{b}.beta1", "#{b}.RC1", "#{b}.0.1", r.release.to_s]
end

cases = {}
ARGV.each do |f|
  a = YAML.safe_load(File.read(f), permitted_classes: [Date])
  next unless a['gem']
  patched = a['patched_versions'] || []
  unaffected = a['unaffected_versions'] || []
  key = [patched, unaffected]
  next if cases.key?(key)
  reqs = (patched + unaffected).map { |s| Gem::Requirement.new(*s.split(',').map(&:strip)) }
  versions = %w[0 0.a 0.0.1 1 99999 99999.0.a]
  reqs.each { |req| req.requirements.each { |_, ver| versions.concat(around(ver.to_s)) } }
  # The requirement's own spelling of a bound, too ("2.0.0-alpha").
  (patched + unaffected).each { |s| s.split(',').each { |c| versions.concat(around(c.strip.sub(/\A(=|!=|>=|<=|~>|>|<)\s*/, ''))) } }
  affected = {}
  versions.uniq.sort.each do |v|
    affected[v] = reqs.none? { |req| req.satisfied_by?(Gem::Version.new(v)) }
  end
  cases[key] = { patched: patched, unaffected: unaffected, affected: affected }
end
# Every version above in RubyGems' order, equal ones grouped.
all = cases.values.flat_map { |c| c[:affected].keys }.uniq.sort
order = all.sort_by { |v| [Gem::Version.new(v), v] }.chunk_while { |a, b| Gem::Version.new(a) == Gem::Version.new(b) }.to_a
out = File.join(__dir__, 'gem-oracle.json.gz')
Zlib::GzipWriter.open(out, Zlib::BEST_COMPRESSION) do |gz|
  gz.mtime = 1 # a fixed time: the same input gives the same bytes
  gz.write("{\"rubygems\": #{Gem::VERSION.to_json}, \"order\": #{order.to_json}, \"cases\": [\n" +
    cases.values.sort_by(&:to_json).map(&:to_json).join(",\n") + "\n]}\n")
end
puts "#{cases.size} requirement lists -> #{out}"
