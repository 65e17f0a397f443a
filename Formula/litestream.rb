# typed: false
# frozen_string_literal: true

# Litestream v0.5.16: streaming replication for SQLite, installed from the release archives.
# Rendered by `invoke release.formula` from release/homebrew/templates/litestream.rb.j2; change the template instead.
class Litestream < Formula
  desc "Streaming replication for SQLite databases"
  homepage "https://litestream.io"
  license "Apache-2.0"

  livecheck do
    url :stable
    regex(/^v?(\d+(?:\.\d+)+)$/i)
  end

  on_macos do
    on_intel do
      url "https://github.com/benbjohnson/litestream/releases/download/v0.5.16/litestream-0.5.16-darwin-x86_64.tar.gz"
      sha256 "eb554b93c9e2833351b017707e9ba5ac97ffd91d07e8b8b836b3ca7661399c36"
    end
    on_arm do
      url "https://github.com/benbjohnson/litestream/releases/download/v0.5.16/litestream-0.5.16-darwin-arm64.tar.gz"
      sha256 "3e64028ff3522caca7a5ab67244e0373b25f3db68b6e25cac0056bf71c30c337"
    end
  end

  on_linux do
    on_intel do
      url "https://github.com/benbjohnson/litestream/releases/download/v0.5.16/litestream-0.5.16-linux-x86_64.tar.gz"
      sha256 "9e29112380a942e4a62ee07773684396cb8b308dc4d67e130bef41f75e937f0a"
    end
    on_arm do
      if Hardware::CPU.is_64_bit?
        url "https://github.com/benbjohnson/litestream/releases/download/v0.5.16/litestream-0.5.16-linux-arm64.tar.gz"
        sha256 "678022e4103145302598e35d37f8718392d42e153feeb1e2d4a64dd0cd3aaf10"
      else
        url "https://github.com/benbjohnson/litestream/releases/download/v0.5.16/litestream-0.5.16-linux-armv6.tar.gz"
        sha256 "86d20bed6bec29b83d3ab14bf520411e55779c6f08891a7233a56808497f53bb"
      end
    end
  end

  def install
    bin.install "litestream"
    etc.install "etc/litestream.yml" => "litestream.yml"
  end

  def caveats
    <<~EOS
      Litestream reads the databases to replicate, and where to, from
        #{etc}/litestream.yml
      Edit it before starting the service; `brew upgrade` keeps your changes.
    EOS
  end

  service do
    run ["#{opt_bin}/litestream", "replicate", "-config", "#{etc}/litestream.yml"]
    keep_alive true
    log_path "#{var}/log/litestream.log"
    error_log_path "#{var}/log/litestream.log"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/litestream version")
  end
end
