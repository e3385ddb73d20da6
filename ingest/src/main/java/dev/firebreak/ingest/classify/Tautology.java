package dev.firebreak.ingest.classify;

import java.math.BigDecimal;
import net.sf.jsqlparser.expression.BooleanValue;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NotExpression;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.conditional.OrExpression;
import net.sf.jsqlparser.expression.operators.relational.ComparisonOperator;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.schema.Column;

/**
 * Recognises WHERE clauses that select every row, the way agents (and people) write "delete it
 * all" while satisfying a tool that insists on a WHERE: {@code WHERE true}, {@code WHERE 1=1},
 * {@code WHERE 1}, {@code WHERE 'a' = 'a'}, {@code WHERE id = id}, and AND/OR/NOT combinations.
 * Anything it cannot decide is treated as a real filter.
 */
final class Tautology {

    private Tautology() {
    }

    static boolean alwaysTrue(Expression where) {
        return Boolean.TRUE.equals(truth(where));
    }

    /** TRUE or FALSE when the expression is constant, null when it depends on the row. */
    private static Boolean truth(Expression e) {
        Expression x = unwrap(e);
        if (x instanceof BooleanValue b) {
            return b.getValue();
        }
        if (x instanceof LongValue l) {
            return l.getValue() != 0; // MySQL: WHERE 1
        }
        if (x instanceof NotExpression n) {
            Boolean inner = truth(n.getExpression());
            return inner == null ? null : !inner;
        }
        if (x instanceof AndExpression a) {
            return and(truth(a.getLeftExpression()), truth(a.getRightExpression()));
        }
        if (x instanceof OrExpression o) {
            return or(truth(o.getLeftExpression()), truth(o.getRightExpression()));
        }
        if (x instanceof ComparisonOperator c) {
            return compare(c);
        }
        return null;
    }

    private static Boolean and(Boolean l, Boolean r) {
        if (Boolean.FALSE.equals(l) || Boolean.FALSE.equals(r)) {
            return false;
        }
        return l != null && r != null ? Boolean.TRUE : null;
    }

    private static Boolean or(Boolean l, Boolean r) {
        if (Boolean.TRUE.equals(l) || Boolean.TRUE.equals(r)) {
            return true;
        }
        return l != null && r != null ? Boolean.FALSE : null;
    }

    private static Boolean compare(ComparisonOperator c) {
        String op = c.getStringExpression();
        Expression left = unwrap(c.getLeftExpression());
        Expression right = unwrap(c.getRightExpression());
        if (left instanceof Column l && right instanceof Column r
                && l.getFullyQualifiedName().equalsIgnoreCase(r.getFullyQualifiedName())) {
            // x = x holds for every row where x is not null: close enough to "all rows".
            return op.equals("=") || op.equals(">=") || op.equals("<=") ? Boolean.TRUE : null;
        }
        Object lv = constant(left);
        Object rv = constant(right);
        if (lv == null || rv == null) {
            return null;
        }
        Integer cmp = compareConstants(lv, rv);
        return cmp == null ? null : apply(op, cmp);
    }

    private static Boolean apply(String op, int cmp) {
        return switch (op) {
            case "=", "==" -> cmp == 0;
            case "<>", "!=" -> cmp != 0;
            case ">" -> cmp > 0;
            case ">=" -> cmp >= 0;
            case "<" -> cmp < 0;
            case "<=" -> cmp <= 0;
            default -> null;
        };
    }

    private static Integer compareConstants(Object l, Object r) {
        if (l instanceof BigDecimal a && r instanceof BigDecimal b) {
            return a.compareTo(b);
        }
        if (l instanceof String a && r instanceof String b) {
            return a.compareTo(b);
        }
        if (l instanceof Boolean a && r instanceof Boolean b) {
            return a.compareTo(b);
        }
        BigDecimal a = number(l);
        BigDecimal b = number(r);
        return a != null && b != null ? a.compareTo(b) : null; // '1' = 1
    }

    private static BigDecimal number(Object o) {
        if (o instanceof BigDecimal d) {
            return d;
        }
        try {
            return o instanceof String s ? new BigDecimal(s.strip()) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Object constant(Expression e) {
        Expression x = unwrap(e);
        if (x instanceof LongValue l) {
            return new BigDecimal(l.getStringValue());
        }
        if (x instanceof DoubleValue d) {
            return BigDecimal.valueOf(d.getValue());
        }
        if (x instanceof StringValue s) {
            return s.getValue();
        }
        if (x instanceof BooleanValue b) {
            return b.getValue();
        }
        if (x instanceof SignedExpression s && s.getSign() == '-' && constant(s.getExpression()) instanceof BigDecimal d) {
            return d.negate();
        }
        return null;
    }

    /** Strips parentheses and casts, which do not change whether a value is constant. */
    private static Expression unwrap(Expression e) {
        Expression x = e;
        while (true) {
            if (x instanceof ParenthesedExpressionList<?> p && p.size() == 1) {
                x = p.get(0);
            } else if (x instanceof CastExpression c) {
                x = c.getLeftExpression();
            } else {
                return x;
            }
        }
    }
}
