# frozen_string_literal: true

# A minimal stand-in for Homebrew's Formula DSL, used by tests/homebrew/test_formula_real.py. It loads the
# rendered formula, takes this machine's platform branch, runs its `test do` against a real litestream binary,
# and prints the `service do` command. It is not Homebrew: `brew test-bot` in the tap's CI is the real check.
require "English"
require "pathname"

module Hardware
  # The CPU the formula's platform conditions ask about, from the SHIM_ARCH environment variable.
  module CPU
    def self.intel? = ENV.fetch("SHIM_ARCH") == "x86_64"
    def self.arm? = ENV.fetch("SHIM_ARCH").start_with?("arm")
    def self.is_64_bit? = ENV.fetch("SHIM_ARCH") != "armv6"
  end
end

# Records the stanzas of a formula class and runs its test block.
class Formula
  class << self
    attr_reader :stable_url, :test_block, :service_block

    def desc(_text) = nil
    def homepage(_url) = nil
    def license(_name) = nil
    def livecheck = nil
    def sha256(_hex) = nil
    def url(value) = (@stable_url = value)
    def on_macos = (yield if ENV.fetch("SHIM_OS") == "darwin")
    def on_linux = (yield if ENV.fetch("SHIM_OS") == "linux")
    def on_intel = (yield if Hardware::CPU.intel?)
    def on_arm = (yield if Hardware::CPU.arm?)
    def service(&block) = (@service_block = block)
    def test(&block) = (@test_block = block)
  end

  def prefix = Pathname(ENV.fetch("SHIM_PREFIX"))
  def bin = prefix / "bin"
  def opt_bin = bin
  def etc = prefix / "etc"
  def var = prefix / "var"
  # Homebrew scans the version from the URL's /download/v<version>/ part.
  def version = self.class.stable_url[%r{/download/v([^/]+)/}, 1]

  def shell_output(cmd)
    out = `#{cmd}`
    raise "#{cmd} exited #{$CHILD_STATUS.exitstatus}" unless $CHILD_STATUS.success?

    out
  end

  def assert_match(expected, actual)
    return if actual.match?(Regexp.new(Regexp.escape(expected)))

    raise "expected #{actual.inspect} to match #{expected.inspect}"
  end
end

# What a `service do` block asks for.
class ServiceShim
  def initialize(formula) = (@formula = formula)
  def run(command = nil) = (@run = command)
  def keep_alive(_value) = nil
  def log_path(path) = (@log_path = path)
  def error_log_path(path) = (@error_log_path = path)
  def to_s = [@run.join(" "), @log_path, @error_log_path].join("\n")

  def method_missing(name, ...) = @formula.respond_to?(name) ? @formula.public_send(name, ...) : super
  def respond_to_missing?(name, include_private = false) = @formula.respond_to?(name) || super
end

load ARGV.fetch(0)
formula = Litestream.new
puts "url: #{Litestream.stable_url}"
puts "service: #{ServiceShim.new(formula).tap { |s| s.instance_exec(&Litestream.service_block) }}"
formula.instance_exec(&Litestream.test_block)
puts "test: passed"
