-- fct_funds: the programme's special funds (专项资金) per budget line — budget, what has
-- been paid from it (财政局 ledger), and the disbursement rate (支出进度) = disbursed ÷
-- budget, 4 places, NULL when the budget is 0. products_online_yuan is the part paid
-- for bringing agricultural products online (农产品上行); payments with no flag are
-- counted in unflagged_disbursements, not guessed. Payments booked to a line code the
-- budget does not have are kept as their own row (in_budget = false, no budget).
with budget_lines as (
    select line_code, fund_source, line_name, budget_yuan
    from fund_budget
),

paid as (
    select
        line_code,
        count(*) as disbursements,
        cast(sum(amount_yuan) as decimal(18, 2)) as disbursed_yuan,
        cast(sum(case when for_products_online then amount_yuan else 0 end) as decimal(18, 2)) as products_online_yuan,
        sum(case when for_products_online is null then 1 else 0 end) as unflagged_disbursements,
        min(paid_on) as first_paid_on,
        max(paid_on) as last_paid_on
    from fund_disbursements
    group by line_code
),

final as (
    select
        coalesce(b.line_code, p.line_code) as line_code,
        b.fund_source,
        b.line_name,
        b.line_code is not null as in_budget,
        b.budget_yuan,
        coalesce(p.disbursed_yuan, cast(0 as decimal(18, 2))) as disbursed_yuan,
        case
            when b.budget_yuan > 0
            then cast(coalesce(p.disbursed_yuan, cast(0 as decimal(18, 2))) / b.budget_yuan as decimal(10, 4))
        end as disbursement_rate,
        -- An overspent line is a finding for the evaluation, reported — not a reason to
        -- withhold the night's figures.
        coalesce(b.budget_yuan < p.disbursed_yuan, false) as overspent,
        coalesce(p.disbursements, 0) as disbursements,
        coalesce(p.products_online_yuan, cast(0 as decimal(18, 2))) as products_online_yuan,
        coalesce(p.unflagged_disbursements, 0) as unflagged_disbursements,
        p.first_paid_on,
        p.last_paid_on
    from budget_lines b
    full outer join paid p on p.line_code = b.line_code
)

select * from final
