-- 020: what repricing a saving per token needs (issue 24: your prices for hosted models), on the
-- rows of a dataset where a model is priced per token (scoring/projection/token_prices.py).
ALTER TABLE routing_projection ADD COLUMN token_prices DOUBLE[];           -- dollars per million tokens used: small prompt, small output, large prompt, large output (NULL: not priced per token)
ALTER TABLE routing_projection ADD COLUMN token_savings_per_day DOUBLE[];  -- saved a day: dollars not priced per token, then the four kinds of tokens (negative: paid for)
ALTER TABLE routing_projection ADD COLUMN token_moments_per_day DOUBLE[];  -- their second moments (upper triangle by rows), for the interval at other prices
