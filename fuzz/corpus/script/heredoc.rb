=begin
x
=end
<<~EOS
  heredoc #{1}
EOS
