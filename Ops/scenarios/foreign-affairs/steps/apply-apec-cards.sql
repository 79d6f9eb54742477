-- Every third registered person applies for an APEC business travel card. The form names
-- them by register number only. The one parameter is the time of filing.
INSERT INTO apec_applications(apec_no, applicant_no, economies, purpose, updated_at)
SELECT 'AP' || substr(applicant_no, 3), applicant_no,
       CASE (rowid / 3) % 5 WHEN 0 THEN 'AU;NZ' WHEN 1 THEN 'US;CA;MX' WHEN 2 THEN 'JP;KR' WHEN 3 THEN 'SG;MY;TH;VN' ELSE 'RU;CL;PE' END,
       CASE (rowid / 3) % 3 WHEN 0 THEN '经贸洽谈' WHEN 1 THEN '商务考察' ELSE '参加APEC工商领导人峰会' END, ?1
FROM applicants WHERE rowid % 3 = 0;
